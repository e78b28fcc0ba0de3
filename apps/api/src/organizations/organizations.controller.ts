import { Body, Controller, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OperatorOnly } from '../auth/access.decorator';
import { CreatedOrganizationDto, CreateOrganizationDto } from './organization.dto';
import { OrganizationsService } from './organizations.service';

@ApiTags('Platform operator')
@Controller('v1/admin/organizations')
@OperatorOnly()
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Post()
  @ApiOperation({ summary: 'Create an organization and its first admin key (operator token)' })
  @ApiCreatedResponse({
    type: CreatedOrganizationDto,
    description: 'The organization; `adminKey` is shown only in this answer',
  })
  create(@Body() body: CreateOrganizationDto): Promise<CreatedOrganizationDto> {
    return this.organizations.bootstrap(body);
  }
}
